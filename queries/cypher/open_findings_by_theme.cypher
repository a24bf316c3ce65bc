// open_findings_by_theme — how many open findings and recommendations carry each theme
// params: area
MATCH (f:Statement)-[:HAS_THEME]->(t:Theme)
WHERE (f.kind = 'recommendation' OR (f.kind = 'finding' AND f.polarity = 'weakness'))
  AND coalesce(f.status, '') <> 'addressed'
  AND ($area = '' OR f.area = $area)
RETURN t.id AS theme, t.label AS label, count(DISTINCT f.id) AS open
ORDER BY open DESC, theme
