// conflicting_evidence — findings and recommendations with both supporting and contradicting follow-ups (reviewer-rejected links ignored)
// params: area
// The area's documents first, then their statements ("WITH d" keeps FalkorDB from starting at every statement).
MATCH (d:Document)
WHERE $area = '' OR d.area = $area
WITH d
MATCH (f:Statement)-[:FROM]->(d)
WHERE f.kind = 'recommendation' OR (f.kind = 'finding' AND f.polarity = 'weakness')
MATCH (f)-[r:FOLLOWED_UP_BY]->(:Statement)
WHERE coalesce(r.reviewed, '') <> 'rejected'
WITH f, count(CASE WHEN r.relation = 'supports' THEN 1 END) AS supports,
        count(CASE WHEN r.relation = 'contradicts' THEN 1 END) AS contradicts
WHERE supports > 0 AND contradicts > 0
RETURN f.id AS finding, supports, contradicts
ORDER BY finding
