"""信用修复 (credit repair): eligibility, applications, the staff decision (seed 四(六))."""
