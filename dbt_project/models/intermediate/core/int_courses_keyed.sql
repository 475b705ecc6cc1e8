{#-
    One row per course in the catalog or named by an event, with an integer surrogate key
    and its catalog attributes (NULL for courses known only from events) and price band.
-#}
with

catalog as (
    select * from {{ ref('stg_raw__courses') }}
),

event_courses as (
    select distinct course_id from {{ ref('int_events_windowed') }}
    where course_id is not null
),

ids as (
    select course_id from catalog
    union
    select course_id from event_courses
),

final as (
    select
        row_number() over (order by ids.course_id) as course_key,
        ids.course_id,
        catalog.title,
        catalog.category,
        catalog.tags,
        catalog.format,
        catalog.price,
        {{ price_band('catalog.price') }} as price_band,
        catalog.instructor_id,
        catalog.published_at,
        catalog.course_id is not null as in_catalog
    from ids
    left join catalog on ids.course_id = catalog.course_id
)

select * from final
