{#-
    One row per (course, neighbour course): the item-item similarity user_recommendations
    scores with, chosen by var('rec_similarity'), each course's top var('rec_neighbors').
      jaccard | cosine | lift | confidence   from course_pairs
      rp3beta   confidence / users(other)^rp3beta_beta (popularity-damped, RP3beta-style)
      ease      EASE item weights (int_course_weights_ease); jaccard when EASE was skipped
-#}
{%- set kind = var('rec_similarity') %}
with

pairs as (
    select * from {{ ref('course_pairs') }}
),

ease as (
    select * from {{ ref('int_course_weights_ease') }}
),

similarities as (
    {% if kind == 'ease' -%}
    select course_key, other_course_key, weight as similarity from ease
    union all
    -- fallback when EASE was skipped for a large catalog
    select course_key, other_course_key, jaccard from pairs
    where not exists (select 1 from ease)
    {%- elif kind == 'rp3beta' -%}
    select course_key, other_course_key,
        confidence / pow(other_course_users, {{ var('rp3beta_beta') }}) as similarity
    from pairs
    {%- elif kind in ['jaccard', 'cosine', 'lift', 'confidence'] -%}
    select course_key, other_course_key, {{ kind }} as similarity from pairs
    {%- else -%}
    {{ exceptions.raise_compiler_error("var rec_similarity must be one of jaccard, cosine, lift, confidence, rp3beta, ease; got " ~ kind) }}
    {%- endif %}
),

final as (
    select
        course_key,
        other_course_key,
        similarity
    from similarities
    where similarity > 0
    qualify row_number() over (
        partition by course_key order by similarity desc, other_course_key
    ) <= {{ var('rec_neighbors') }}
)

select * from final
