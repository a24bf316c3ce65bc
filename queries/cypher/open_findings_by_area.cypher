// open_findings_by_area — how many open findings and recommendations each area has
// params: —
MATCH (f:Statement)-[:IN_AREA]->(ar:Area)
WHERE (f.kind = 'recommendation' OR (f.kind = 'finding' AND f.polarity = 'weakness'))
  AND coalesce(f.status, '') <> 'addressed'
RETURN ar.id AS area, ar.label AS label, count(DISTINCT f.id) AS open
ORDER BY open DESC, area
