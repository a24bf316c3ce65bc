// agencies_ranked_by_open_findings — agencies by open findings and recommendations, with the total concerning them
// params: —
MATCH (f:Statement)-[:CONCERNS]->(a:Agency)
WHERE (f.kind = 'recommendation' OR (f.kind = 'finding' AND f.polarity = 'weakness'))
WITH a, f.id AS finding, CASE WHEN coalesce(f.status, '') <> 'addressed' THEN f.id END AS open_finding
RETURN a.id AS agency, a.label AS label, count(DISTINCT open_finding) AS open, count(DISTINCT finding) AS total
ORDER BY open DESC, total DESC, agency
