"""The Monday industry issues log: its contents, staff commentary, publishing and the PDF archive."""
