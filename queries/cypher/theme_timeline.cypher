// theme_timeline — statements on a theme in an area, in date order
// params: area, theme
MATCH (s:Statement)
WHERE ($area = '' OR s.area = $area)
  AND ($theme = '' OR (s)-[:HAS_THEME]->(:Theme {id: $theme}))
RETURN s.date AS date, s.document AS document, s.id AS statement, s.kind AS kind, s.polarity AS polarity
ORDER BY date, statement
