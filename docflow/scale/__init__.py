"""National scale: bulk demo data (``flask --app docflow demo generate``) and its helpers."""
