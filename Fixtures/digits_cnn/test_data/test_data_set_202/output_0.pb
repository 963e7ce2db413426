
BlogitsJ(ЊrБШXA4dА¬H БР[vАп—SБKkхА€|фА\»ҐїЗHБ