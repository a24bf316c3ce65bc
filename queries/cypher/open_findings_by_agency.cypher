// open_findings_by_agency — how many open findings and recommendations concern each agency
// params: area
MATCH (f:Statement)-[:CONCERNS]->(a:Agency)
WHERE (f.kind = 'recommendation' OR (f.kind = 'finding' AND f.polarity = 'weakness'))
  AND coalesce(f.status, '') <> 'addressed'
  AND ($area = '' OR f.area = $area)
RETURN a.id AS agency, a.label AS label, count(DISTINCT f.id) AS open
ORDER BY open DESC, agency
