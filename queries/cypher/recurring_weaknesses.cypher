// recurring_weaknesses — the same weakness found in two areas or years
// params: —
MATCH (a:Statement)-[r:RECURS_IN]->(b:Statement)
RETURN a.id AS finding_a, a.area AS area_a, a.date AS date_a,
       b.id AS finding_b, b.area AS area_b, b.date AS date_b, r.score AS score
ORDER BY score DESC, finding_a, finding_b
