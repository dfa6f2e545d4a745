//! #18: reports and printing on the server (PostgreSQL) as on the file.
