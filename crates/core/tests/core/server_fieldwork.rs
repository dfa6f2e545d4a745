//! #18: inspections, cases, sign-offs, photos and the rest of fieldwork on the server (PostgreSQL) as on the file.
