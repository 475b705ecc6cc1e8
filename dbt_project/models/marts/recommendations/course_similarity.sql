{#-
    One row per (course, similar course) by content: int_course_pairs_content_scored, for BI
    and `learnmart similar`.
-#}
-- stored in lookup order: DuckDB's zone maps then skip straight to one key's rows
select * from {{ ref('int_course_pairs_content_scored') }}
order by course_id, neighbor_rank
