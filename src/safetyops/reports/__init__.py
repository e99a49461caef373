"""Weekly reports: HTML, PDF, XLSX and charts."""
