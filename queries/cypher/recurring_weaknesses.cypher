// recurring_weaknesses — the same weakness found in two areas or years ("" for area: any; an area: the pairs with a weakness in it)
// params: area
// The area's documents first, then their statements ("WITH d" keeps FalkorDB from starting at every statement).
MATCH (d:Document)
WHERE $area = '' OR d.area = $area
WITH d
MATCH (s:Statement)-[:FROM]->(d)
MATCH (s)-[r:RECURS_IN]-(:Statement)
WITH DISTINCT r
WITH startNode(r) AS a, r, endNode(r) AS b
RETURN a.id AS finding_a, a.area AS area_a, a.date AS date_a,
       b.id AS finding_b, b.area AS area_b, b.date AS date_b, r.score AS score
ORDER BY score DESC, finding_a, finding_b
