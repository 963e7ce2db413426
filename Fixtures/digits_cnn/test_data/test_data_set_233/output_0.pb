
BlogitsJ(h€k¿ÿ≥T¡$§s¡¢¡Í[¿(LI¿Ññ0AZW¡1îã¿è¡