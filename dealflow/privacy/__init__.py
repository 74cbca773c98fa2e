"""One's own data: downloading it and deleting the account, above accounts, startups and billing."""
