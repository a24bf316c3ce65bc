// open_findings_by_theme — how many open findings and recommendations carry each theme
// params: area
// The area's documents first, then their statements ("WITH d" keeps FalkorDB from starting at every statement).
MATCH (d:Document)
WHERE $area = '' OR d.area = $area
WITH d
MATCH (f:Statement)-[:FROM]->(d)
WHERE (f.kind = 'recommendation' OR (f.kind = 'finding' AND f.polarity = 'weakness'))
  AND coalesce(f.status, '') <> 'addressed'
MATCH (f)-[:HAS_THEME]->(t:Theme)
RETURN t.id AS theme, t.label AS label, count(DISTINCT f.id) AS open
ORDER BY open DESC, theme
