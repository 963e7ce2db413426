B
loop_finalJ-@sñ6@–@ÖÖP@