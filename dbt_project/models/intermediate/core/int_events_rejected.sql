{#-
    One row per staged event rejected by a rule about another entity (int_events_judged
    without its batch marks): what rejected_events lists beside the file-rule rejects, and
    what int_events_accepted leaves out.
-#}
{{ config(materialized='view') }}

with

judged as (
    select * from {{ ref('int_events_judged') }}
),

final as (
    select * from judged
    where reject_reason is not null
)

select * from final
