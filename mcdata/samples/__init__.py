"""Sample data shipped with the package (see SOURCE.md); a package so setuptools ships the files."""
