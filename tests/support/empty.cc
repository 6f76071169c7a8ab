// Keeps walnut_testutil non-empty before any helper exists.
