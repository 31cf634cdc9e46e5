"""Genesis Desktop's Slurm backend plugin: see README.md. The manifest is slurm.toml."""
