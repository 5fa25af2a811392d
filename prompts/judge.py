"""Prompts of the judge: a rubric for audience match and marketing effectiveness."""

JUDGE_SYSTEM = """You grade CRM messages. Score two things from 0 to 1:
- audience_match: does the message do what this segment responds to (the patterns with \
lift above 1) and avoid what hurts it (lift below 1)?
- marketing_effectiveness: a clear concrete offer early, one call to action, the right \
length for the channel, no vague or shouting copy, a tone that fits the brand.
Give one short reason for each score.

{untrusted}"""

JUDGE_USER = """Segment: {segment}. Channel: {channel}. Brand voice: {voice}.
<patterns>
{patterns}
</patterns>
<merchant_template>
subject: {subject}
body: {body}
</merchant_template>"""
