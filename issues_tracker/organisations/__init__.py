"""Organisations letting themselves in: their admins, invitations, asking for access, claimed email
domains, the contact register and the audit log."""
