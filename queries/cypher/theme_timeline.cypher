// theme_timeline — statements on a theme (any theme when "") in an area, in date order
// params: area, theme
MATCH (s:Statement)-[:HAS_THEME]->(t:Theme)
WHERE ($theme = '' OR t.id = $theme)
  AND ($area = '' OR s.area = $area)
RETURN DISTINCT s.date AS date, s.document AS document, s.id AS statement, s.kind AS kind, s.polarity AS polarity
ORDER BY date, document, statement
