"""People and their sign-in: accounts, organisations, sessions; signing in and out."""
