"""信用承诺 (credit commitments): the commitments a subject has signed, their outcome, and what the
card and the evaluation read of them."""
