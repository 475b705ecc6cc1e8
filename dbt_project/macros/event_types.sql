{#- The event types of the raw contract, and those that must name a course. -#}
{% macro event_types() %}
    {{ return(['view', 'trial', 'favorite', 'purchase', 'refund', 'complete', 'rating', 'share', 'checkin']) }}
{% endmacro %}

{% macro course_event_types() %}
    {{ return(['view', 'trial', 'favorite', 'refund', 'complete', 'rating', 'share']) }}
{% endmacro %}
