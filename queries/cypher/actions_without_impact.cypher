// actions_without_impact — actions reported against a finding that no non-action statement shows to have improved
// params: area
// The area's documents first, then their statements ("WITH d" keeps FalkorDB from starting at every statement).
MATCH (d:Document)
WHERE $area = '' OR d.area = $area
WITH d
MATCH (f:Statement)-[:FROM]->(d)
WHERE f.kind = 'recommendation' OR (f.kind = 'finding' AND f.polarity = 'weakness')
MATCH (f)-[r:FOLLOWED_UP_BY]->(act:Statement)
WHERE act.kind = 'action' AND coalesce(r.reviewed, '') <> 'rejected'
OPTIONAL MATCH (f)-[s:FOLLOWED_UP_BY]->(e:Statement)
WHERE s.relation = 'supports' AND coalesce(s.reviewed, '') <> 'rejected' AND e.kind <> 'action'
WITH f, act, count(s) AS impact
WHERE impact = 0
RETURN DISTINCT act.id AS action, f.id AS finding, act.document AS document, act.date AS date
ORDER BY date, action, finding
