
BlogitsJ(Û¾iÀ¾ß#Á^âAÁ‚\1Á¡âEÁ«êAcŠÃ¿xEžÀ=:S¿†qÁ