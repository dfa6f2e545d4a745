//! #18: reports, printing, import and export on the server (PostgreSQL) as on the file.
