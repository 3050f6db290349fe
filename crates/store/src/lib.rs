//! claude-api persistence: one Store over SQLite, MySQL/MariaDB and PostgreSQL.
