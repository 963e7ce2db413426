
BlogitsJ(yΩ¿W∆&¡∏?¡óm#¿J©D¡ã2€¿h26¡µ¿G*í?uYA