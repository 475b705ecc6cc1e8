{#- One row per (user, course) the evaluation judges: the held-out relevant pairs no rule excludes. -#}
select user_id, course_id
from {{ ref('int_eval_courses_withheld') }}
where exclusion is null
