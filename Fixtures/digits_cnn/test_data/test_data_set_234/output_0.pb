
BlogitsJ(lãQÁjYÁþG#ÁÜAWA³OZÁøüÀèzÁÕ*ÁƒW=Áˆ'ŠÀ