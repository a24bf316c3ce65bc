// open_findings_by_agency — how many open findings and recommendations concern each agency
// params: area
// The area's documents first, then their statements ("WITH d" keeps FalkorDB from starting at every statement).
MATCH (d:Document)
WHERE $area = '' OR d.area = $area
WITH d
MATCH (f:Statement)-[:FROM]->(d)
WHERE (f.kind = 'recommendation' OR (f.kind = 'finding' AND f.polarity = 'weakness'))
  AND coalesce(f.status, '') <> 'addressed'
MATCH (f)-[:CONCERNS]->(a:Agency)
RETURN a.id AS agency, a.label AS label, count(DISTINCT f.id) AS open
ORDER BY open DESC, agency
