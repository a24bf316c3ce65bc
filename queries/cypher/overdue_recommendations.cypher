// overdue_recommendations — recommendations due before a date with no action reported against them
// params: as_of
MATCH (rec:Statement)
WHERE rec.kind = 'recommendation' AND rec.due IS NOT NULL
  AND ($as_of = '' OR rec.due < $as_of)
OPTIONAL MATCH (rec)-[u:FOLLOWED_UP_BY]->(act:Statement)
WHERE act.kind = 'action' AND coalesce(u.reviewed, '') <> 'rejected'
WITH rec, count(u) AS actions
WHERE actions = 0
RETURN rec.id AS recommendation, rec.area AS area, rec.due AS due
ORDER BY due, recommendation
