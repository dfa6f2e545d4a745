//! #18: accounts, staff, permissions, places and the demo town on the server (PostgreSQL) as on the file.
