"""Portfolio decisions: selection under budgets, scenarios, the investments ledger and report data (Qt-free)."""
