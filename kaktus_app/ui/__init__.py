"""Generic UI pieces (shell, tables, forms, translation helper) that know no business module."""
