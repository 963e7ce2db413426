
BlogitsJ(jû¿Ωm&¡*Õò¿ñ'É¿^s¡∫¿U*ü¡Ê¿I¡N®b¡‘c(A