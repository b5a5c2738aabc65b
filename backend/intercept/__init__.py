"""Compare and intercept (自动比对、自动拦截, seed 四(一)): every subject checked against the 严重失信 list
and the 禁入 bans of a domain at the moment of asking, and every check kept in the interception log."""
