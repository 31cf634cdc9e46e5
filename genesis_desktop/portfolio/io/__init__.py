"""Reading and writing portfolio records as CSV, XLSX, JSON and Parquet, validated before any write."""
