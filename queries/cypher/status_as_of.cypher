// status_as_of — each finding's status on a date: its latest assessment dated on or before it (a reviewer's on the same day, else the greater status name); findings without one are left out
// params: as_of, area
// The area's documents first, then their statements ("WITH d" keeps FalkorDB from starting at every statement).
MATCH (d:Document)
WHERE $area = '' OR d.area = $area
WITH d
MATCH (f:Statement)-[:FROM]->(d)
WHERE f.kind = 'recommendation' OR (f.kind = 'finding' AND f.polarity = 'weakness')
MATCH (f)-[:HAS_ASSESSMENT]->(a:Assessment)
WHERE a.as_of IS NOT NULL AND ($as_of = '' OR a.as_of <= $as_of)
WITH f, max(a.as_of) AS latest
MATCH (f)-[:HAS_ASSESSMENT]->(a:Assessment)
WHERE a.as_of = latest
WITH f, max(CASE WHEN a.set_by = 'person' THEN a.status END) AS reviewed, max(a.status) AS derived
RETURN f.id AS finding, f.area AS area, coalesce(reviewed, derived) AS status
ORDER BY area, finding
