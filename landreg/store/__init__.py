"""Storage of the register: tables, engines, repositories, unit of work and migrations."""
