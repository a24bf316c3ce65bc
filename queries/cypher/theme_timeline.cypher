// theme_timeline — statements on a theme (any theme when "") in an area, in date order
// params: area, theme
// The area's documents first, then their statements ("WITH d" keeps FalkorDB from starting at every statement).
MATCH (d:Document)
WHERE $area = '' OR d.area = $area
WITH d
MATCH (s:Statement)-[:FROM]->(d)
MATCH (s)-[:HAS_THEME]->(t:Theme)
WHERE $theme = '' OR t.id = $theme
RETURN DISTINCT s.date AS date, s.document AS document, s.id AS statement, s.kind AS kind, s.polarity AS polarity
ORDER BY date, document, statement
