{#- One row per (user, course) the evaluation judges: the held-out relevant pairs no rule excludes. -#}
select user_id, course_id
from {{ ref('int_eval_held_out') }}
where exclusion is null
