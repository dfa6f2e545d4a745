//! #18: importing and exporting ledgers, and the pending lists, on the server (PostgreSQL) as on
//! the file.
