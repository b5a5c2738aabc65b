"""异议申诉 (objections): a subject disputes one of its credit records (seed 五(四))."""
