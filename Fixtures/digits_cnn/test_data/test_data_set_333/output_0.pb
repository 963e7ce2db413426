
BlogitsJ(Iμόΐ6“ΑpλΊΑFLΐΐ;³Α5rAGwϊΏ@;ΐbυΐ0³Α